with final as (
select customer_id,
       count_if(is_active) as active_subscriptions,
       sum(case when is_active then mrr else 0 end) as mrr,
       count_if(not is_active) as churned_subscriptions
from {{ ref('int_subscription_periods') }}
group by customer_id
)
select
    cast(customer_id as number(38,0)) as customer_id,
    cast(active_subscriptions as number(38,0)) as active_subscriptions,
    cast(mrr as number(18,2)) as mrr,
    cast(churned_subscriptions as number(38,0)) as churned_subscriptions
from final
